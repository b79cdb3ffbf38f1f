// Without the mount helper (its interpreter missing), code slots spawn mount commands, and the code of a
// pre-warmed sandbox is still read-only inside it (code-slot.ts: bound read-only before it reaches the slot).
import t from 'tap';
import { readOnlyCodeCase } from './code-slot.cases.ts';

// Read when the first slot starts the helper: a missing interpreter leaves slots without it.
process.env.FNGATE_MOUNT_HELPER_PYTHON = '/nonexistent/python3';
await readOnlyCodeCase(t);
