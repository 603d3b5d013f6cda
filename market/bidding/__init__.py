"""Sealed online bids (中介超市 报价): the pure rules (:mod:`.rules`), the service that takes,
replaces, withdraws and re-confirms bids (:mod:`.service`), and the opening (:mod:`.opening`),
which only :mod:`market.lifecycle` calls. docs/sealed-bids.md says who reads what, when.
"""
