"""Templates for Slack Block Kit, Teams Adaptive Cards and letters; pure rendering only."""
