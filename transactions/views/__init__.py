"""The transactions app's views: the transactions table (`transactions`), the Disputes page (`disputes`)."""

from .disputes import dispute_accept_view, dispute_list, dispute_respond_view
from .transactions import transaction_list

__all__ = ["dispute_accept_view", "dispute_list", "dispute_respond_view", "transaction_list"]
