"""The data-building side of the sandbox's seed commands (sandbox/management/commands stay thin): `data`,
`config_rows` and `seeder` for `seed_demo`; `bulk_load` for `seed_bulk`."""
