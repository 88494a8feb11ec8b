"""Safety training (安全教育): courses, assignments, completions, and who a site's gates let in."""
