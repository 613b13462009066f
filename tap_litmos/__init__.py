"""Singer tap for SAP Litmos: users, teams, team members, courses and course users."""
