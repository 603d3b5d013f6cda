"""Open data (issue 14): the Open Contracting Data Standard feed."""
