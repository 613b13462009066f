"""Word pools the generated records draw from.

Some entries carry HTML entities on purpose (`&amp;`, `&#39;`): Litmos sends
names that way, and a client must decode them where it shows names.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Noah",
    "Emma",
    "Olivia",
    "Mateo",
    "Zoë",
    "José",
    "Aoife",
    "Chloé",
    "Søren",
    "Mei",
    "Hiroshi",
    "Priya",
    "Amara",
    "Lucas",
    "Sofia",
    "Ethan",
    "Fatima",
    "Oliver",
    "Isla",
    "Kwame",
    "Ingrid",
    "Diego",
)

LAST_NAMES = (
    "Smith",
    "O&#39;Brien",
    "Nguyen",
    "García",
    "Müller",
    "Kowalski",
    "O&#39;Neil",
    "Okafor",
    "Dubois",
    "Rossi",
    "Johansson",
    "Tanaka",
    "Patel",
    "Cohen",
    "Silva",
    "van der Berg",
    "Brown",
    "Wilson",
    "Schmidt",
    "Martin",
)

ENTITY_LAST_NAME = "O&#39;Brien"

COMPANIES = (
    "Acme Corp",
    "Smith &amp; Sons",
    "Globex",
    "Initech",
    "Umbrella Logistics",
    "",
    "Northwind Traders",
)

JOB_TITLES = (
    "Sales Associate",
    "R&amp;D Engineer",
    "Warehouse Operative",
    "Store Manager",
    "Nurse",
    "Software Developer",
    "",
    "Health &amp; Safety Officer",
)

JOB_ROLES = ("", "Sales", "Operations", "Engineering", "Support", "Management")

CITIES = (
    ("San Francisco", "CA", "94105", "United States"),
    ("Boston", "MA", "02139", "United States"),
    ("London", "", "EC1A 1BB", "United Kingdom"),
    ("Sydney", "NSW", "2000", "Australia"),
    ("Berlin", "", "10115", "Germany"),
    ("Paris", "", "75001", "France"),
    ("", "", "", ""),
)

STREETS = (
    "1 Market St",
    "221B Baker Street",
    "Unter den Linden 5",
    "",
    "42 Wallaby Way",
)

TIME_ZONES = (
    "Pacific Standard Time",
    "GMT Standard Time",
    "AUS Eastern Standard Time",
    "W. Europe Standard Time",
    "UTC",
    "",
)

CULTURES = ("en-US", "en-GB", "fr-FR", "de-DE", "en-AU", "")

BRANDS = ("Default", "Default", "Default", "", "Acme Learning")

TEAM_NAMES = (
    "Sales",
    "Health &amp; Safety",
    "Operations",
    "Marketing",
    "R&amp;D",
    "Finance",
    "Customer Success",
    "Warehouse",
    "Human Resources",
    "Engineering",
)

REGIONS = ("", " EMEA", " North America", " APAC", " Night Shift", " 2025 Intake")

COURSE_NAMES = (
    "Health &amp; Safety Basics",
    "Fire Safety",
    "Data Protection (GDPR)",
    "Code of Conduct",
    "Anti-Bribery &amp; Corruption",
    "Forklift Operation",
    "Customer Service Excellence",
    "Information Security Awareness",
    "Manual Handling",
    "Leadership 101",
)

COURSE_DESCRIPTIONS = (
    "Learn the essentials in under an hour.",
    "",
    None,
    "Mandatory annual training for all staff.",
    "A self-paced course with a final quiz.",
)

TAGS = ("compliance", "safety", "onboarding", "annual", "leadership", "sales")

CREATORS = ("Avery Admin", "Jordan Owner", "", "System")

PRICES = (19.99, 49.5, 125.0, 9.95, 0.99)
