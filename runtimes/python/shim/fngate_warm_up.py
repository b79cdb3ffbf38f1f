"""Imported once by bootstrap.py before it announces `started`, then forgotten: the first module a process
imports from a file pays for the import system's file machinery (finder, loader, source decoding), which
a pre-warmed interpreter should not pay inside a cold start. Keep it tiny and free of side effects."""


def handler(event, context):
    return {'ok': event.get('ok', True), 'context': context}
