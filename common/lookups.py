"""`field__ilike_contains`: a case-insensitive substring match that PostgreSQL's trigram indexes can serve.

Django's `icontains` compiles to `UPPER(col) LIKE UPPER('%q%')` on PostgreSQL, which a `gin_trgm_ops` index on
the bare column cannot use; `col ILIKE '%q%'` can (common/migrations/0001_search_indexes.py). Other databases
keep Django's own `icontains` SQL. The user's %, _ and \\ are escaped as for icontains.
"""

from django.db.models import CharField, TextField
from django.db.models.lookups import IContains


class ILikeContains(IContains):
    lookup_name = "ilike_contains"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            # Same SQL as icontains on SQLite / others (their LIKE is already case-insensitive for ASCII).
            self.lookup_name = "icontains"
            try:
                return super().as_sql(compiler, connection)
            finally:
                self.lookup_name = "ilike_contains"
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} ILIKE {rhs_sql}", (*lhs_params, *rhs_params)


CharField.register_lookup(ILikeContains)
TextField.register_lookup(ILikeContains)
