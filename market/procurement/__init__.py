"""Procurements (采购项目): 中介超市 services and 小额工程 works, from draft to selection.

The pure part lives here: the terms from reference data (:mod:`.terms`), the draft's
fields and their limits (:mod:`.draft`, :mod:`.limits`), the states and their transitions
(:mod:`.states`), the checks before publication (:mod:`.publication`), what an amendment
changes (:mod:`.amendment`), reference numbers (:mod:`.reference`) and attachments
(:mod:`.attachments`). None of them touches a session or reads a clock.
"""
