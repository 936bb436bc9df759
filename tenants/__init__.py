"""Tenant modules: each lives in its own folder here and in every tenant schema, and exports
one `Module` record (wijknet.platform.modules) found through the `wijknet.modules` entry
points. `core/` is not a module but what every lab has: its members, audit log, access
policies and request keys."""
