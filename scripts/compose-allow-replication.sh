#!/bin/sh
# docker-compose: run once by the postgres image when it creates the database; lets the optional
# postgres-replica service stream from it (password-authenticated, inside the compose network).
set -e
echo "host replication all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
