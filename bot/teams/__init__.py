"""Microsoft Teams: botbuilder on /api/messages, Adaptive Cards, proactive delivery."""
