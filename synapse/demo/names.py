"""Fixed name lists the demo firm draws from (fictional people, companies and subjects)."""

from __future__ import annotations

FIRM_NAME = "Synapse IT Solutions"
FIRM_DOMAIN = "synapse-it.example"

FIRST_NAMES = [
    "Alice", "Ben", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Hugo", "Ines", "James",
    "Keiko", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wei", "Xavier", "Yara", "Zoe", "Aaron", "Bianca", "Carlos", "Dana",
    "Elif", "Felix", "Gina", "Hassan", "Ivy", "Jonas", "Kira", "Leo", "Mila", "Nils",
]  # fmt: skip

LAST_NAMES = [
    "Andersen", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ivanova",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinlan",
    "Rossi", "Schmidt", "Tanaka", "Ulrich", "Varga", "Walsh", "Xu", "Young", "Zimmer",
    "Achebe", "Brennan", "Chen", "Delgado", "Eriksen", "Fontaine", "Gupta", "Horvat",
    "Iqbal", "Janssen", "Kim", "Lindqvist", "Mendes", "Novak",
]  # fmt: skip

#: (code, name) of the client companies.
CLIENTS = [
    ("NWL", "Northwind Logistics"),
    ("CTH", "Contoso Health"),
    ("FAB", "Fabrikam Manufacturing"),
    ("ADV", "Adventure Works Retail"),
    ("TSP", "Tailspin Airlines"),
    ("WWI", "Wide World Importers"),
    ("LUC", "Lucerne Publishing"),
    ("PRO", "Proseware Insurance"),
    ("LIT", "Litware Labs"),
    ("COH", "Coho Vineyards"),
    ("BLU", "Blue Yonder Foods"),
    ("MAR", "Margie's Travel"),
    ("ALP", "Alpine Ski House"),
    ("GRA", "Graphic Design Institute"),
    ("HUM", "Humongous Energy"),
    ("TRE", "Trey Research"),
    ("WOO", "Woodgrove Bank"),
    ("FOU", "Fourth Coffee"),
    ("SOU", "Southridge Video"),
    ("CON", "Consolidated Messenger"),
    ("NOD", "Nod Publishers"),
    ("RIV", "Riverbend Water Utility"),
    ("DEL", "Delta Civic Council"),
    ("OAK", "Oakridge Law Partners"),
    ("PIN", "Pinecrest Schools"),
]

PROJECT_KINDS = [
    "ERP integration",
    "Microsoft 365 migration",
    "Network refresh",
    "Data warehouse build",
    "CRM integration",
    "Cloud migration",
    "Identity and SSO rollout",
    "Backup and DR setup",
    "Payroll interface",
    "Warehouse scanner rollout",
    "API gateway",
    "Security hardening",
    "VoIP telephony rollout",
    "Reporting portal",
]

EXPENSE_CATEGORIES = ["hardware", "licences", "subcontractor", "travel"]

TICKET_SUBJECTS = [
    "Cannot log in to VPN",
    "Email not syncing on mobile",
    "Printer offline on floor 2",
    "Server disk almost full",
    "Backup job failed",
    "New starter account request",
    "Slow network in branch office",
    "ERP interface stopped posting",
    "Password reset",
    "Licence renewal question",
    "Firewall rule change",
    "Website certificate expiring",
    "Laptop will not boot",
    "Shared drive permissions",
    "Phishing email reported",
    "Database timeout errors",
]

INTERNAL_NOTES = ["Team meeting", "Pre-sales support", "Knowledge base", "Admin", "Recruiting"]
TRAINING_NOTES = ["Azure certification", "Security training", "ITIL course", "Vendor workshop"]
MAINTENANCE_NOTES = ["Patching", "Monitoring review", "Backup checks", "Capacity review"]
