"""Direct selection (直接选取) after failed attempts: the owner's request, a supervisor's
decision, the directly selected next attempt (:mod:`.rules` pure, :mod:`.service` stored)."""
