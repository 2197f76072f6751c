"""Word material for the sandbox's generated Upwork jobs and Gigiac tasks.

Job posts are assembled from per-category pools (title, context, the work, requirements,
extras, closing) so that seeded combinations read like real client posts: varied length,
concrete stacks and deliverables, the occasional typo-free but slightly informal tone.
"""

from __future__ import annotations

from typing import Any

# (country name, ISO-3, weight, [(city, IANA timezone)])
COUNTRIES: list[tuple[str, str, int, list[tuple[str, str]]]] = [
    (
        "United States",
        "USA",
        38,
        [
            ("New York", "America/New_York"),
            ("Austin", "America/Chicago"),
            ("San Francisco", "America/Los_Angeles"),
            ("Denver", "America/Denver"),
            ("Miami", "America/New_York"),
            ("Seattle", "America/Los_Angeles"),
            ("Chicago", "America/Chicago"),
        ],
    ),
    (
        "United Kingdom",
        "GBR",
        9,
        [("London", "Europe/London"), ("Manchester", "Europe/London"), ("Leeds", "Europe/London")],
    ),
    ("Canada", "CAN", 7, [("Toronto", "America/Toronto"), ("Vancouver", "America/Vancouver")]),
    ("Australia", "AUS", 6, [("Sydney", "Australia/Sydney"), ("Melbourne", "Australia/Melbourne")]),
    ("Germany", "DEU", 5, [("Berlin", "Europe/Berlin"), ("Munich", "Europe/Berlin")]),
    ("Netherlands", "NLD", 3, [("Amsterdam", "Europe/Amsterdam"), ("Utrecht", "Europe/Amsterdam")]),
    ("United Arab Emirates", "ARE", 3, [("Dubai", "Asia/Dubai")]),
    ("France", "FRA", 2, [("Paris", "Europe/Paris"), ("Lyon", "Europe/Paris")]),
    ("Switzerland", "CHE", 2, [("Zurich", "Europe/Zurich")]),
    ("Israel", "ISR", 2, [("Tel Aviv", "Asia/Jerusalem")]),
    ("Singapore", "SGP", 2, [("Singapore", "Asia/Singapore")]),
    ("Ireland", "IRL", 2, [("Dublin", "Europe/Dublin")]),
    ("Sweden", "SWE", 2, [("Stockholm", "Europe/Stockholm")]),
    ("India", "IND", 3, [("Bengaluru", "Asia/Kolkata"), ("Pune", "Asia/Kolkata")]),
    ("Saudi Arabia", "SAU", 1, [("Riyadh", "Asia/Riyadh")]),
    ("Spain", "ESP", 1, [("Barcelona", "Europe/Madrid")]),
    ("New Zealand", "NZL", 1, [("Auckland", "Pacific/Auckland")]),
]

INDUSTRIES = [
    "Tech & IT",
    "Health & Fitness",
    "Retail & Consumer Goods",
    "Finance & Accounting",
    "Education",
    "Real Estate",
    "Media & Entertainment",
    "Marketing & Advertising",
    "Transportation & Logistics",
    "Hospitality",
    "Legal",
    "Manufacturing & Construction",
    "Non-profit",
    "Sports & Recreation",
]

# How an industry is described inside a sentence.
INDUSTRY_NOUNS = {
    "Tech & IT": ["B2B SaaS", "developer tools", "cybersecurity"],
    "Health & Fitness": ["digital health", "telehealth", "fitness coaching"],
    "Retail & Consumer Goods": ["DTC skincare", "outdoor gear e-commerce", "specialty coffee"],
    "Finance & Accounting": ["fintech", "bookkeeping", "wealth management"],
    "Education": ["edtech", "online course", "tutoring marketplace"],
    "Real Estate": ["property management", "real estate brokerage", "proptech"],
    "Media & Entertainment": ["podcast network", "indie game studio", "streaming media"],
    "Marketing & Advertising": ["performance marketing agency", "creative agency", "adtech"],
    "Transportation & Logistics": ["freight brokerage", "last-mile delivery", "fleet telematics"],
    "Hospitality": ["boutique hotel group", "restaurant group", "travel booking"],
    "Legal": ["immigration law firm", "legal tech", "contract management"],
    "Manufacturing & Construction": ["industrial automation", "construction", "HVAC services"],
    "Non-profit": ["education non-profit", "community health non-profit", "climate charity"],
    "Sports & Recreation": ["sports analytics", "golf club management", "youth sports league"],
}

COMPANY_SIZES = ["1", "2-9", "10-99", "100-499", "500-999", "1000+"]

COMPANY_FIRST = [
    "Northwind",
    "Bluefin",
    "Cedar",
    "Harbor",
    "Lumen",
    "Quarry",
    "Ridgeline",
    "Summit",
    "Tidewater",
    "Copperleaf",
    "Brightpath",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Meridian",
    "Oakridge",
    "Pinecrest",
    "Redwood",
    "Silverline",
    "Westgate",
    "Atlas",
    "Beacon",
    "Foxglove",
    "Granite",
]
COMPANY_SECOND = [
    "Analytics",
    "Labs",
    "Health",
    "Logistics",
    "Partners",
    "Studio",
    "Holdings",
    "Digital",
    "Learning",
    "Capital",
    "Foods",
    "Outdoors",
    "Systems",
    "Media",
    "Realty",
    "Group",
]

TEAM_NAMES = ["Lumen Dev Collective", "Northbeam Digital", "Copperleaf Studio"]

FREELANCERS: list[dict[str, Any]] = [
    {
        "name": "Elena M.",
        "title": "Full-stack engineer | React, Node.js, PostgreSQL",
        "hourlyRate": 75,
        "specialized": [
            ("Senior React & Next.js developer", 85, "Web Development"),
            ("Node.js API & integrations engineer", 80, "Web Development"),
        ],
    },
    {
        "name": "Tomasz K.",
        "title": "Data engineer & ML practitioner | Python, dbt, Airflow",
        "hourlyRate": 90,
        "specialized": [
            ("Machine learning engineer (NLP, LLM apps)", 110, "Machine Learning"),
            ("Analytics engineer | dbt, BigQuery, Snowflake", 95, "Data Analysis & Testing"),
        ],
    },
    {
        "name": "Priya S.",
        "title": "Product designer | UX research, Figma, design systems",
        "hourlyRate": 60,
        "specialized": [
            ("Brand identity & marketing designer", 55, "Branding & Logo Design"),
        ],
    },
]

SCANNERS: list[dict[str, Any]] = [
    {
        "name": "Full-stack React/Node",
        "categories": ["web", "mobile", "qa"],
        "query": {
            "q": '(react | next.js | "react native") + (node* | nestjs | express) -wordpress',
            "anyKeywords": "typescript, graphql, postgres",
            "excludedKeywords": "wordpress, shopify theme, unpaid",
            "onlySearchOnTitle": False,
            "category": ["Web, Mobile & Software Dev"],
            "minHourlyRate": 35,
            "minFixedBudget": 1000,
            "excludeJobsUnspecifiedBudget": False,
            "paymentVerified": True,
            "minRating": 4,
            "experienceLevel": [2, 3],
            "notInCountry": [],
        },
        "avgMonthlyMatches": 412,
    },
    {
        "name": "Data engineering & ML",
        "categories": ["data", "devops"],
        "query": {
            "q": '(python + (airflow | dbt | spark | "machine learning" | llm)) | kubernetes',
            "anyKeywords": "etl, pipeline, bigquery, snowflake, mlops",
            "excludedKeywords": "homework, thesis",
            "onlySearchOnTitle": False,
            "category": ["Data Science & Analytics", "IT & Networking"],
            "minHourlyRate": 45,
            "minFixedBudget": 1500,
            "paymentVerified": True,
            "totalSpent": 5000,
            "clientHireRate": 40,
            "experienceLevel": [3],
        },
        "avgMonthlyMatches": 238,
    },
    {
        "name": "Design, content & growth",
        "categories": ["design", "writing", "marketing"],
        "query": {
            "q": '(figma | "brand identity" | "landing page" | copywriting | seo) -"logo contest"',
            "anyKeywords": "saas, b2b, startup",
            "excludedKeywords": "adult, crypto casino",
            "onlySearchOnTitle": True,
            "category": ["Design & Creative", "Writing", "Sales & Marketing"],
            "minHourlyRate": 25,
            "minFixedBudget": 300,
            "paymentVerified": False,
            "noFeedbackClients": True,
            "experienceLevel": [2, 3],
        },
        "avgMonthlyMatches": 655,
    },
]

# Per category: Upwork category/subcategories, and the pools a post is built from.
# Slots: {stack}, {industry}, {n} (a large count), {k} (a small count), {city}.
JOB_CATEGORIES: dict[str, dict[str, Any]] = {
    "web": {
        "category": "Web, Mobile & Software Dev",
        "subcategories": ["Web Development", "Ecommerce Development", "Scripts & Utilities"],
        "stacks": [
            "React + Node.js",
            "Next.js 14",
            "Django + React",
            "Laravel + Vue 3",
            "NestJS + PostgreSQL",
            "Ruby on Rails",
            "Remix + Prisma",
        ],
        "titles": [
            "Senior {stack} developer to rebuild our customer dashboard",
            "Full-stack developer for a multi-tenant SaaS MVP ({stack})",
            "Fix performance issues in our {stack} web app",
            "Build Stripe subscription billing into an existing {stack} app",
            "{stack} engineer needed for ongoing feature work",
            "Migrate legacy PHP admin panel to {stack}",
            "Integrate HubSpot and Slack with our internal tool",
            "Build a booking and scheduling portal for {industry} clients",
            "Add SSO (Okta / Google Workspace) to our {stack} platform",
        ],
        "contexts": [
            "Our customer portal has outgrown the original codebase and page loads now take "
            "4-6 seconds on the reports screen.",
            "We launched six months ago, have about {n} paying customers, and the founding "
            "developer has moved on, so we need someone who can own the code.",
            "We are preparing a self-serve onboarding flow for next quarter and our small "
            "in-house team is fully booked on the mobile app.",
            "The product works, but it was built quickly by an outside agency and nobody "
            "on our side fully understands the data model anymore.",
            "We sell to mid-size {industry} companies and enterprise prospects keep asking "
            "for features we cannot ship fast enough.",
        ],
        "tasks": [
            "The first milestone is an audit of the current {stack} codebase, followed by a "
            "plan for the dashboard rewrite with estimates per screen. After that you would "
            "implement the new dashboard behind a feature flag.",
            "You will build the account, team and billing screens, wire them to our REST "
            "API, and write the migrations for the new tables. Designs are done in Figma.",
            "We need someone to profile the slow endpoints, add the missing indexes and "
            "caching, and get the p95 response time of the reports page under 800 ms.",
            "Scope: webhook handling for Stripe (checkout, invoices, failed payments), a "
            "plan-upgrade flow, proration, and an admin view that shows each customer's "
            "subscription state.",
            "The work is roughly 20 hours a week for the next two to three months, with a "
            "weekly call on Tuesdays and async updates in Slack the rest of the time.",
        ],
        "requirements": [
            "3+ years of production experience with {stack}",
            "Comfortable writing tests (we use Jest/Pytest and Playwright)",
            "Solid SQL: you can read a query plan and explain it",
            "Experience with role-based access control in multi-tenant apps",
            "Git hygiene: small PRs, clear descriptions",
            "Overlap of at least 3 hours with US Eastern time",
            "Experience deploying to AWS (ECS or Lambda) or Render",
            "Clear written English; you flag risks early",
            "You have shipped Stripe billing before",
        ],
        "extras": [
            "Nice to have: experience with Tailwind and Radix UI.",
            "Bonus if you have worked with Temporal or BullMQ for background jobs.",
            "We will give you access to a staging environment and a seeded database on day one.",
        ],
        "skills": [
            "React",
            "Node.js",
            "TypeScript",
            "JavaScript",
            "PostgreSQL",
            "Next.js",
            "REST API",
            "GraphQL",
            "Django",
            "Python",
            "Laravel",
            "Vue.js",
            "Stripe",
            "AWS",
            "Tailwind CSS",
            "Ruby on Rails",
        ],
        "questions": [
            "Describe a web app you built that has similar features and share the link.",
            "What is your experience with multi-tenant SaaS architectures?",
            "How would you approach the first two weeks of this engagement?",
            "Which part of our stack are you least familiar with?",
        ],
    },
    "mobile": {
        "category": "Web, Mobile & Software Dev",
        "subcategories": ["Mobile Development", "Mobile App Development"],
        "stacks": ["React Native", "Flutter", "Swift/SwiftUI", "Kotlin", "Expo"],
        "titles": [
            "{stack} developer to finish our iOS and Android app",
            "Build an MVP companion app for our {industry} platform ({stack})",
            "Fix crashes and App Store rejection in {stack} app",
            "Add offline mode and push notifications to {stack} app",
            "Experienced {stack} developer for a fitness tracking app",
            "Publish our {stack} app to Google Play and the App Store",
        ],
        "contexts": [
            "We have a working web product and about {n} active users asking for a mobile app.",
            "The app is 70% done; the previous developer left after the backend was finished.",
            "Apple rejected our last build twice (guideline 4.2 and a crash on launch on iPad).",
            "Our field technicians use the app in basements and parking garages with no "
            "signal, so offline support is the main pain point.",
        ],
        "tasks": [
            "You will implement the remaining screens (onboarding, profile, settings, "
            "in-app purchases) from our Figma file and connect them to the existing API.",
            "We need a local-first data layer (SQLite/WatermelonDB or similar), background "
            "sync with conflict handling, and push notifications through Firebase.",
            "Please investigate the crash reports in Sentry, fix the top issues, and take "
            "the app through review on both stores.",
            "Deliverables: source code in our GitHub repo, a TestFlight build, an internal "
            "testing track on Google Play, and a short README on how to release.",
        ],
        "requirements": [
            "At least two published apps you can show us in the stores",
            "Experience with in-app purchases / RevenueCat",
            "Understanding of App Store review guidelines",
            "Experience with Firebase Cloud Messaging",
            "You write clean, typed code and use a state management library sensibly",
            "Available for a daily 15-minute check-in",
        ],
        "extras": [
            "Nice to have: HealthKit / Google Fit integration experience.",
            "Bonus: experience with Detox or Maestro for end-to-end tests.",
        ],
        "skills": [
            "React Native",
            "Flutter",
            "iOS Development",
            "Android App Development",
            "Swift",
            "Kotlin",
            "Firebase",
            "Mobile App Development",
            "Dart",
            "TypeScript",
            "SQLite",
        ],
        "questions": [
            "Please share links to apps you published in the App Store or Google Play.",
            "Have you implemented offline sync before? How did you handle conflicts?",
            "What is your estimate for the scope described?",
        ],
    },
    "data": {
        "category": "Data Science & Analytics",
        "subcategories": ["Data Analysis & Testing", "Machine Learning", "Data Extraction/ETL"],
        "stacks": [
            "Python + Airflow",
            "dbt + BigQuery",
            "Snowflake",
            "PySpark",
            "LangChain",
            "scikit-learn",
        ],
        "titles": [
            "Data engineer to build ETL pipelines into {stack}",
            "Build a churn prediction model for our {industry} business",
            "LLM engineer: retrieval-augmented search over our documents",
            "Analytics engineer to clean up our dbt project",
            "Web scraping pipeline for {k} e-commerce sites",
            "Power BI / Looker dashboards for operations team",
            "Demand forecasting model for {n} SKUs",
            "Extract structured data from PDFs (invoices and contracts)",
        ],
        "contexts": [
            "We pull data from Shopify, HubSpot, Stripe and two Postgres databases, and today "
            "it is all stitched together with cron jobs and spreadsheets.",
            "Our analysts spend half their week reconciling numbers between tools.",
            "We have about {n} support tickets and internal docs and want a search assistant "
            "our staff can trust, with citations.",
            "We have three years of order history and want to predict which customers are "
            "about to lapse so our retention team can reach out in time.",
        ],
        "tasks": [
            "You will design the warehouse layout, build incremental ingestion with {stack}, "
            "and set up data quality checks and alerting on failures.",
            "We need a baseline model, a clear evaluation (precision/recall at our contact "
            "capacity), and a weekly batch job that writes scores back to our CRM.",
            "Scope: chunking and embedding strategy, a vector store (pgvector is fine), an "
            "evaluation set of 100 questions, and a small API our frontend can call.",
            "The first deliverable is a written proposal of the model layers and naming "
            "conventions; then refactor the existing {k}0 models to match it.",
        ],
        "requirements": [
            "Strong Python and SQL",
            "Hands-on experience with {stack}",
            "You have shipped a model to production, not only notebooks",
            "Experience with data modeling (Kimball or similar)",
            "You document as you go",
            "Familiar with GDPR basics for customer data",
            "Experience evaluating LLM output quality",
        ],
        "extras": [
            "We use GCP; credentials will be scoped to a sandbox project first.",
            "Please mention a pipeline you are proud of and why.",
        ],
        "skills": [
            "Python",
            "SQL",
            "Data Engineering",
            "Apache Airflow",
            "dbt",
            "BigQuery",
            "Snowflake",
            "Machine Learning",
            "pandas",
            "scikit-learn",
            "LangChain",
            "Data Scraping",
            "ETL Pipeline",
            "Tableau",
            "Power BI",
        ],
        "questions": [
            "Describe a data pipeline you built end to end. What broke and how did you fix it?",
            "How would you evaluate the model before we rely on it?",
            "Which warehouse are you most productive in?",
        ],
    },
    "design": {
        "category": "Design & Creative",
        "subcategories": [
            "Product Design",
            "Branding & Logo Design",
            "Graphic, Editorial & Presentation Design",
        ],
        "stacks": ["Figma", "Webflow", "Adobe Illustrator", "Framer"],
        "titles": [
            "UX/UI designer for a {industry} SaaS dashboard redesign",
            "Brand identity for a new {industry} startup",
            "Design a high-converting landing page in {stack}",
            "Pitch deck redesign before our seed round",
            "Design system and component library in {stack}",
            "Mobile app UI for a habit tracker (12-15 screens)",
        ],
        "contexts": [
            "Our product grew feature by feature and the interface now feels inconsistent.",
            "We are a two-founder team launching in {city} next month.",
            "Our current landing page converts at 1.2% and we believe the messaging is unclear.",
            "We have wireframes and user interviews but no visual language yet.",
        ],
        "tasks": [
            "You will run a short discovery session, propose two visual directions, and then "
            "deliver high-fidelity screens plus a clickable prototype in {stack}.",
            "Deliverables: logo (primary and secondary), color palette, typography, a one-page "
            "brand guide, and social media templates.",
            "We need the design of the home page and two feature pages, handed off in {stack} "
            "with responsive breakpoints and annotated interactions.",
            "Please create reusable components with variants and auto layout, document usage, "
            "and align the existing {k} screens with the new library.",
        ],
        "requirements": [
            "A portfolio with SaaS or dashboard work",
            "Fluent in {stack}",
            "Comfortable presenting your reasoning, not just the visuals",
            "Experience with accessibility (WCAG AA contrast, focus states)",
            "Can deliver within three weeks",
            "You have worked with developers on handoff",
        ],
        "extras": [
            "Please do not send generic templates; we review every portfolio.",
            "Bonus: illustration skills for empty states and onboarding.",
        ],
        "skills": [
            "Figma",
            "UX Design",
            "UI Design",
            "User Interface Design",
            "Brand Identity Design",
            "Logo Design",
            "Webflow",
            "Adobe Illustrator",
            "Prototyping",
            "Design System",
            "Landing Page",
            "Presentation Design",
        ],
        "questions": [
            "Share two portfolio pieces closest to this project.",
            "What is your design process for a redesign like this?",
            "How many revision rounds are included in your price?",
        ],
    },
    "writing": {
        "category": "Writing",
        "subcategories": [
            "Content Writing",
            "Editing & Proofreading Services",
            "Professional & Business Writing",
        ],
        "stacks": ["long-form SEO", "technical", "B2B SaaS", "healthcare"],
        "titles": [
            "{stack} writer for {k} blog articles per month",
            "Technical writer to document our public REST API",
            "Ghostwriter for LinkedIn posts (founder voice)",
            "Edit and proofread a 60,000-word nonfiction manuscript",
            "Write product descriptions for {k}0 outdoor gear items",
            "Case studies from customer interviews ({industry})",
        ],
        "contexts": [
            "We publish two posts a week and want to double that without losing quality.",
            "Our API is used by about {n} developers and the docs have not kept up.",
            "Our founder has strong opinions and no time to write them down.",
            "The manuscript is finished and has been through one developmental edit.",
        ],
        "tasks": [
            "Each article is 1,500-2,000 words, based on a brief with target keywords, "
            "and goes through one round of edits with our content lead.",
            "You will document authentication, pagination, errors and our 25 endpoints, "
            "with runnable examples, in our docs site (Markdown, Docusaurus).",
            "We will record a 30-minute call every two weeks; you turn it into eight posts "
            "for approval.",
            "Line editing for clarity and consistency, a style sheet, and tracked changes in Word.",
        ],
        "requirements": [
            "Native-level English",
            "Samples in the {stack} space",
            "Comfortable with SEO briefs (Surfer or Clearscope)",
            "You meet deadlines without reminders",
            "Can interview subject-matter experts",
            "No AI-generated drafts; we check",
        ],
        "extras": [
            "Rates are per article; we pay within 5 days of approval.",
            "Please include one sample you are proud of and one that taught you something.",
        ],
        "skills": [
            "Content Writing",
            "SEO Writing",
            "Blog Writing",
            "Technical Writing",
            "API Documentation",
            "Copywriting",
            "Editing & Proofreading",
            "Ghostwriting",
            "LinkedIn",
            "Article Writing",
        ],
        "questions": [
            "Please share two published samples relevant to our niche.",
            "What is your typical turnaround for a 1,500-word article?",
        ],
    },
    "devops": {
        "category": "IT & Networking",
        "subcategories": ["DevOps & Solution Architecture", "Network & System Administration"],
        "stacks": ["Kubernetes", "Terraform", "AWS", "GitHub Actions", "Docker"],
        "titles": [
            "DevOps engineer: move our app from Heroku to AWS with {stack}",
            "Set up CI/CD with {stack} for a monorepo",
            "Kubernetes cluster hardening and cost review",
            "SOC 2 readiness: infrastructure controls and logging",
            "On-call style support for our {stack} infrastructure (retainer)",
        ],
        "contexts": [
            "Our Heroku bill passed $4k a month and we want more control over networking.",
            "Builds take 25 minutes and flaky deploys block the team a few times a week.",
            "A customer asked for our SOC 2 report and we have six months to get there.",
            "We run {k} services on a managed cluster that nobody on the team set up.",
        ],
        "tasks": [
            "You will write the infrastructure as code ({stack}), set up staging and "
            "production, migrate the database with minimal downtime, and hand over runbooks.",
            "The goal is builds under 8 minutes with caching, preview environments per pull "
            "request, and one-click rollbacks.",
            "Review the cluster (RBAC, network policies, resource requests), fix the findings, "
            "and set up cost dashboards.",
        ],
        "requirements": [
            "Production experience with {stack}",
            "Certifications are a plus but not required",
            "Experience with zero-downtime Postgres migrations",
            "Security mindset: least privilege by default",
            "You leave documentation behind",
        ],
        "extras": [
            "We will start with a paid 10-hour assessment.",
            "Mention the largest environment you have managed.",
        ],
        "skills": [
            "DevOps",
            "Kubernetes",
            "Terraform",
            "Amazon Web Services",
            "Docker",
            "CI/CD",
            "GitHub Actions",
            "Linux System Administration",
            "Google Cloud Platform",
            "Helm",
            "Prometheus",
        ],
        "questions": [
            "Describe a migration you led and how you kept downtime low.",
            "How do you handle secrets in CI/CD?",
        ],
    },
    "qa": {
        "category": "Web, Mobile & Software Dev",
        "subcategories": ["QA & Testing"],
        "stacks": ["Playwright", "Cypress", "Appium", "Selenium"],
        "titles": [
            "QA engineer to build an end-to-end test suite with {stack}",
            "Manual QA for a release candidate (web and mobile)",
            "Automate regression tests for our checkout flow ({stack})",
            "Load testing of our API before launch",
        ],
        "contexts": [
            "Every release breaks something in checkout, and we find out from customers.",
            "We ship weekly and currently test by clicking through the app before each release.",
            "Launch is in three weeks and we expect about {n} concurrent users on day one.",
        ],
        "tasks": [
            "You will write the first 40 end-to-end scenarios in {stack}, run them in CI, and "
            "teach the team how to add more.",
            "Test plan, exploratory testing on the listed devices, and bug reports in Jira with "
            "steps to reproduce and screen recordings.",
            "Write load scenarios (k6 or Locust), run them against staging, and report "
            "bottlenecks with recommendations.",
        ],
        "requirements": [
            "Experience with {stack}",
            "You write bug reports developers love",
            "Familiar with CI (GitHub Actions or GitLab CI)",
            "Access to real iOS and Android devices",
        ],
        "extras": ["Test accounts and a staging environment are ready."],
        "skills": [
            "Quality Assurance",
            "Test Automation",
            "Playwright",
            "Cypress",
            "Selenium",
            "Appium",
            "Manual Testing",
            "Load Testing",
            "Jira",
        ],
        "questions": [
            "Which test automation frameworks have you used in production?",
            "Share an example bug report you wrote (redacted is fine).",
        ],
    },
    "marketing": {
        "category": "Sales & Marketing",
        "subcategories": ["Digital Marketing", "Marketing, PR & Brand Strategy", "Lead Generation"],
        "stacks": ["Google Ads", "Meta Ads", "HubSpot", "technical SEO", "Klaviyo"],
        "titles": [
            "{stack} specialist to scale our {industry} campaigns",
            "Technical SEO audit and fixes for a {n}-page site",
            "Email marketing flows in Klaviyo for a DTC brand",
            "B2B lead generation: build a list of {k}0 decision makers",
            "Fractional growth marketer for a seed-stage startup",
        ],
        "contexts": [
            "We spend about $15k a month on ads and our cost per lead doubled since spring.",
            "Organic traffic dropped 35% after the last core update.",
            "We have a list of {n} subscribers and only a welcome email.",
            "We sell to operations leaders at {industry} companies in North America.",
        ],
        "tasks": [
            "Audit the current account, restructure campaigns, set up proper conversion "
            "tracking, and report weekly on CPA and ROAS.",
            "Crawl the site, prioritize the issues by impact, fix what can be fixed in the CMS, "
            "and write tickets for our developers for the rest.",
            "Build welcome, browse-abandonment, cart-abandonment and post-purchase flows with "
            "copy and simple designs.",
        ],
        "requirements": [
            "Proven results with {stack}; please share numbers",
            "Comfortable with GA4 and Google Tag Manager",
            "You explain what you changed and why",
            "Experience with B2B or DTC, depending on the role",
        ],
        "extras": ["Long-term work for the right person.", "Monthly budget is fixed; no upsells."],
        "skills": [
            "Digital Marketing",
            "Google Ads",
            "Facebook Advertising",
            "Search Engine Optimization",
            "Email Marketing",
            "Klaviyo",
            "HubSpot",
            "Lead Generation",
            "Google Analytics",
            "Marketing Strategy",
        ],
        "questions": [
            "What results did you achieve for a similar client? Please include numbers.",
            "How would you spend the first 30 days?",
        ],
    },
}

OPENERS = [
    "Hi there,",
    "Hello,",
    "Hi!",
    "",
    "",
    "About us:",
]

CLOSINGS = [
    "To apply, please tell us about a similar project and what you would do differently "
    "now. Proposals that start with a generic introduction will be skipped.",
    "Please include your availability for the next four weeks and your rate.",
    "If this sounds interesting, send a short note with relevant work. We will reply to "
    "every proposal within two business days.",
    "We are looking for a long-term partner, so please tell us how you like to communicate.",
    "Start your proposal with the word 'lighthouse' so we know you read this far.",
    "Budget is flexible for the right person; quality matters more than speed.",
    "Looking forward to working together!",
]

QUALIFIED_REASONS = [
    "Strong match: {skills} are core to the scanner, the {budget} budget fits the range, "
    "and the client has a verified payment method with a {rating} rating.",
    "Good fit: the post asks for {skills}; {country} client with {spent} spent and a "
    "{hire}% hire rate.",
    "Relevant: {skills} mentioned in the title and description; budget {budget} is above "
    "the scanner minimum.",
]
UNQUALIFIED_REASONS = [
    "Weak match: only {skills} overlaps with the scanner keywords and the budget ({budget}) "
    "is below the usual range.",
    "Borderline: the client has no hiring history yet and payment is not verified.",
    "Likely a poor fit: the post reads like a long-term staff role ({duration}) with a "
    "low stated rate.",
]

# Gigiac: tasks posted by people and bots. (category slug, budget type, (min, max) dollars,
# location, title, description, skills)
GIGIAC_TASKS: list[dict[str, Any]] = [
    {
        "category": "content-writing",
        "budget_type": "fixed",
        "budget": (25, 120),
        "title": "Write a 1,200-word blog post about edge computing for retail",
        "description": "Audience: IT managers at mid-size retailers. Cover latency, offline "
        "stores and cost. Include two real examples and an outline first. Markdown, no "
        "AI-detector games, cite sources.",
        "skills": ["content-writing", "seo", "technical-writing"],
    },
    {
        "category": "content-writing",
        "budget_type": "fixed",
        "budget": (15, 60),
        "title": "Rewrite 12 product descriptions for a ceramics shop",
        "description": "Current descriptions are one line each. We want 80-120 words, warm "
        "tone, care instructions at the end. Spreadsheet with the originals attached.",
        "skills": ["copywriting", "content-writing"],
    },
    {
        "category": "research",
        "budget_type": "fixed",
        "budget": (40, 200),
        "title": "Competitive analysis of 8 scheduling apps for salons",
        "description": "Compare pricing tiers, booking features, integrations and reviews. "
        "Deliver a table plus a one-page summary of gaps we could fill.",
        "skills": ["market-research", "data-analysis"],
    },
    {
        "category": "research",
        "budget_type": "fixed",
        "budget": (30, 150),
        "title": "Find 50 podcast hosts in the climate-tech space",
        "description": "For each: show name, host, contact route, audience estimate, last "
        "episode date. Only shows active in the last 60 days.",
        "skills": ["lead-research", "web-research"],
    },
    {
        "category": "data-labeling",
        "budget_type": "fixed",
        "budget": (20, 90),
        "title": "Label 500 product photos by category and defect",
        "description": "Ten categories, three defect types. Guidelines and 30 labeled "
        "examples provided. Output CSV. Accuracy is spot-checked on 10%.",
        "skills": ["data-labeling", "image-classification"],
    },
    {
        "category": "data-labeling",
        "budget_type": "fixed",
        "budget": (25, 80),
        "title": "Classify 2,000 support tickets into 14 intents",
        "description": "Tickets are short emails in English. Use the provided intent list; "
        "flag anything ambiguous rather than guessing.",
        "skills": ["text-classification", "data-labeling"],
    },
    {
        "category": "translation",
        "budget_type": "fixed",
        "budget": (30, 140),
        "title": "Translate app strings from English to German (1,800 words)",
        "description": "JSON file with keys and English values; keep placeholders like "
        "{count} intact. Informal 'du' form. Glossary attached.",
        "skills": ["translation", "localization", "german"],
    },
    {
        "category": "translation",
        "budget_type": "fixed",
        "budget": (20, 90),
        "title": "Spanish subtitles for three 10-minute training videos",
        "description": "SRT files with timing. Latin American Spanish. Transcripts in "
        "English are provided.",
        "skills": ["translation", "subtitles", "spanish"],
    },
    {
        "category": "software-development",
        "budget_type": "fixed",
        "budget": (60, 400),
        "title": "Python script to reconcile Stripe payouts with QuickBooks",
        "description": "Read Stripe payouts and balance transactions via API, match them to "
        "QuickBooks deposits, and output a CSV of mismatches. Must run from cron.",
        "skills": ["python", "api-integration", "stripe"],
    },
    {
        "category": "software-development",
        "budget_type": "hourly",
        "budget": (35, 90),
        "title": "Fix flaky Playwright tests in a Next.js repo",
        "description": "About 15 of 120 tests fail intermittently in CI. Find the causes, "
        "fix them, and explain the patterns to avoid.",
        "skills": ["typescript", "playwright", "testing"],
    },
    {
        "category": "software-development",
        "budget_type": "fixed",
        "budget": (80, 500),
        "title": "Build a Slack bot that posts daily Jira summaries",
        "description": "Each morning, post per-team summaries of tickets moved to Done and "
        "blockers. Slack app manifest and deployment notes required.",
        "skills": ["javascript", "slack-api", "api-integration"],
    },
    {
        "category": "data-analysis",
        "budget_type": "fixed",
        "budget": (50, 250),
        "title": "Cohort retention analysis from our subscription export",
        "description": "CSV of 40k subscriptions. Monthly cohorts, retention curves, and a "
        "short write-up of what changed after the March price increase.",
        "skills": ["data-analysis", "python", "sql"],
    },
    {
        "category": "data-analysis",
        "budget_type": "fixed",
        "budget": (30, 120),
        "title": "Clean and deduplicate a CRM export of 9,000 contacts",
        "description": "Merge duplicates by email and fuzzy company name, normalize phone "
        "numbers and countries, and flag bounced addresses from the attached list.",
        "skills": ["data-cleaning", "spreadsheets"],
    },
    {
        "category": "design",
        "budget_type": "fixed",
        "budget": (40, 250),
        "title": "Design 6 social media templates for a bakery",
        "description": "Instagram post and story formats, editable in Canva. Brand colors "
        "and logo attached. Warm, hand-made feel.",
        "skills": ["graphic-design", "canva", "social-media"],
    },
    {
        "category": "design",
        "budget_type": "fixed",
        "budget": (60, 300),
        "title": "Landing page mockup for a tax-prep app",
        "description": "One desktop and one mobile frame in Figma. Copy is written. Needs a "
        "trustworthy look and a clear pricing section.",
        "skills": ["figma", "ui-design", "landing-page"],
    },
    {
        "category": "marketing",
        "budget_type": "fixed",
        "budget": (40, 200),
        "title": "Write and schedule a 5-email onboarding sequence",
        "description": "For a note-taking app's free trial. Mailchimp access will be "
        "shared. Include subject lines and one A/B variant for email 1.",
        "skills": ["email-marketing", "copywriting"],
    },
    {
        "category": "customer-support",
        "budget_type": "hourly",
        "budget": (15, 35),
        "title": "Answer support inbox during a launch weekend",
        "description": "Saturday and Sunday, 9:00-17:00 US Eastern. Macros and an FAQ are "
        "ready; escalate billing issues to the on-call founder.",
        "skills": ["customer-support", "zendesk"],
    },
    {
        "category": "errands",
        "budget_type": "fixed",
        "budget": (20, 60),
        "location": "on_site",
        "title": "Pick up a parcel from a post office and drop it at a courier",
        "description": "Parcel is ready for pickup with a reference number. Drop-off at the "
        "courier counter across town before 6 pm. Photo receipt required.",
        "skills": ["errands", "local-delivery"],
    },
    {
        "category": "errands",
        "budget_type": "fixed",
        "budget": (30, 90),
        "location": "on_site",
        "title": "Photograph 4 storefronts for a listings website",
        "description": "Daylight photos from the street, straight-on, 3 per storefront. "
        "Addresses will be shared after acceptance. Phone camera is fine.",
        "skills": ["photography", "errands"],
    },
    {
        "category": "errands",
        "budget_type": "hourly",
        "budget": (20, 40),
        "location": "on_site",
        "title": "Help set up a booth at a trade fair (4 hours)",
        "description": "Carry boxes, assemble a pop-up wall, set up two screens. Parking is "
        "paid. Closed-toe shoes required.",
        "skills": ["event-setup", "errands"],
    },
    {
        "category": "research",
        "budget_type": "fixed",
        "budget": (25, 100),
        "title": "Summarize 12 customer interview transcripts into themes",
        "description": "Transcripts are 20-40 minutes each. Deliver a theme list with "
        "supporting quotes and a count of how many interviews mention each theme.",
        "skills": ["user-research", "synthesis", "writing"],
    },
    {
        "category": "software-development",
        "budget_type": "fixed",
        "budget": (45, 180),
        "title": "Convert a Google Sheets model into a small web calculator",
        "description": "The sheet computes solar payback from five inputs. Build a single "
        "page (plain JS or React) that matches the sheet's results to the cent.",
        "skills": ["javascript", "react", "spreadsheets"],
    },
]

GIGIAC_POSTERS: list[tuple[str, bool]] = [
    ("Maya Lindqvist", False),
    ("Oakridge Ops Bot", True),
    ("Daniel Okafor", False),
    ("ResearchRunner", True),
    ("Sofia Marquez", False),
    ("Harbor Analytics", False),
    ("CopyPilot Agent", True),
    ("Ken Watanabe", False),
    ("Atlas Procurement Bot", True),
    ("Grace Whitfield", False),
]

GIGIAC_CITIES = [
    ("Austin, TX", "78701"),
    ("Brooklyn, NY", "11211"),
    ("Oakland, CA", "94607"),
    ("Chicago, IL", "60607"),
    ("Denver, CO", "80205"),
]

GIGIAC_REJECT_REASONS = [
    "The commissioner chose a proposal with more relevant samples.",
    "The commissioner accepted another proposal.",
    "Budget did not fit.",
    "The timeline did not work for the commissioner.",
]

GENERATED_PROPOSAL_OPENERS = [
    "Hi, I read your post about {title_lower} and it is close to work I finished recently.",
    "Hello! Your {category} project caught my eye because it touches {skill1} and {skill2}, "
    "which is most of my week.",
    "Hi there, I can help with {title_lower}.",
]
GENERATED_PROPOSAL_BODIES = [
    "For a similar client I {achievement}. I would start by reviewing what you have today, "
    "agree on a short plan with you, and then deliver in small, reviewable steps.",
    "My approach: a quick call to confirm scope, a written plan with milestones, and "
    "progress you can see every few days. Last quarter I {achievement}.",
]
GENERATED_PROPOSAL_ACHIEVEMENTS = [
    "cut a dashboard's load time from 5 s to 700 ms",
    "shipped a billing integration that now processes about $80k a month",
    "built a pipeline that replaced a weekly spreadsheet ritual",
    "redesigned an onboarding flow that lifted activation by 18%",
    "took an app through App Store review after two rejections",
]
GENERATED_PROPOSAL_CLOSINGS = [
    "Happy to share relevant samples. When would suit you for a short call?",
    "Do you already have designs or a spec I can look at?",
    "I can start this week. What matters most to you in the first milestone?",
]
