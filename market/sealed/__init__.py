"""Sealed bids: keys (:mod:`market.sealed.keys`) and sealing (:mod:`market.sealed.bids`).

Pure: no database, no web, no clock (the submission time is a parameter). The bid service
stores what these return and calls the opening side only at the opening. docs/sealed-bids.md
says who can read what when.
"""
