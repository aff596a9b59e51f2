"""Human-readable renderings of a campaign: the terminal summary and the HTML report."""
