"""The engine: events in, messages out; what comes in bounded; forms, context, catalogs."""
