"""Queries and writes; every function takes the Session explicitly and keyword-only arguments."""

from db.repo.catalogue import *  # noqa: F403
from db.repo.catalogue import ChatUser  # noqa: F401  (used as repo.ChatUser by callers)
from db.repo.ledger import *  # noqa: F403
from db.repo.prices import *  # noqa: F403
from db.repo.prices import _one_market_statement  # noqa: F401
from db.repo.subscriptions import *  # noqa: F403
