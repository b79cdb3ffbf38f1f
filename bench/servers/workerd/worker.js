// Row (c) of the `http` benchmark: the same hello as the other rows, as a workerd module worker.
export default {
  async fetch(request) {
    const event = await request.json();
    return Response.json({ hello: event.name ?? 'world' });
  },
};
