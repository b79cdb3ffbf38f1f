import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Several javac runs (and jar packings) in one JVM, so test set-up pays for one JVM start instead of one
 * per fixture: `java JavacBatch.java <javac args> -- <javac args> -- --jar <out.jar> <classes dir> …`.
 */
public class JavacBatch {
    public static void main(String[] args) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> job = new ArrayList<>();
        int failures = 0;
        for (int i = 0; i <= args.length; i++) {
            if (i < args.length && !args[i].equals("--")) {
                job.add(args[i]);
                continue;
            }
            if (job.isEmpty()) continue;
            if (job.get(0).equals("--jar")) jar(Paths.get(job.get(1)), Paths.get(job.get(2)));
            else if (javac.run(null, null, null, job.toArray(new String[0])) != 0) failures++;
            job.clear();
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private static void jar(Path out, Path classes) throws IOException {
        Files.createDirectories(out.getParent());
        try (OutputStream file = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(file); Stream<Path> walk = Files.walk(classes)) {
            for (Path path : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(path));
                jar.closeEntry();
            }
        }
    }
}
