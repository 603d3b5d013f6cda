"""After the selection (issue 13): publicity and objections, the award with its documents and
the contract both parties confirm, delivery and acceptance, the evaluation into credit, and
the time limits of each step (:mod:`market.award.limits`)."""
