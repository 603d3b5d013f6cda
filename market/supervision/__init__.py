"""Supervision (issue 14): the screens, statistics and histories supervisors audit with."""
