"""The review step of scored methods (评审): reviewers, their scores, and what the freeze
takes from them (:mod:`.rules` pure, :mod:`.service` stored)."""
