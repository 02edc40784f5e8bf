"""The staff desk's screens that gather several apps: the customers list, the customer page and the
transaction page.

These pages read customers, purchases, transactions, refunds, access and the provider notifications at once,
so they sit above all of them (and above `providers/`): the domain apps below never import this package.
Screens that belong to one app stay in that app (`refunds/views.py` for the credit modal, ...).

- `views/`: `customers.py` (the list), `customer_page.py` (the page, its tabs and HTMX partials, notes),
  `transaction_page.py` (a transaction with its notifications, notes and disputes), `audit.py` (the Audit
  page: it needs the staff guards of `merchants/`, which sit above the audit log they write to).
- `selectors/`: the reads, one function per panel and a fixed number of queries each
  (`customer_list.py`, `customer_page.py`, `activity.py`).
- `sentences.py`: the Activity tab's sentences; `charts.py`: the Stats tab's chart geometry.
- `filters.py`: the customers list's and the customer's Transactions tab's filters.
- `urls.py`: the routes, mounted by `config/urls.py` under the `customers` and `transactions` namespaces.
"""
