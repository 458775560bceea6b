"""Demo data: a believable set of organizations, people and functions to try Relais.

Loaded by ``make run`` (``flask demo load``) and by the browser journeys. It is
idempotent: the second load finds the demo's first user and creates nothing again.
Every record goes through the same operations the UI uses, so the demo's
audit log reads like a real one.

Each domain package adds its own story in a ``demo`` module (``vendors/demo.py``)
with ``load_demo(organizations)``, found through ``BLUEPRINT_PACKAGES`` so that
``portal`` never imports the packages built on it; such a module may also list
``ORGANIZATIONS`` of its own, created with ``create_demo_organization``. Each
loader is idempotent itself, so a database loaded before a package existed
gains that package's records on the next load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from flask import current_app
from sqlalchemy import select

from portal import audit, db
from portal.auth.passwords import hash_password
from portal.functions.operations import create_department, create_function
from portal.models import ApiToken, Membership, Organization, Role, User
from portal.organizations.operations import create_organization
from portal.tenancy import across_tenants, organization_context
from portal.tokens import token_hash

#: The one development password of every demo account.
DEMO_PASSWORD = "relais-demo-2026"  # noqa: S105 - published in the README on purpose


@dataclass(frozen=True)
class DemoOrganization:
    key: str
    api_token: str
    fields: dict
    #: (e-mail, full name, role); the first is the founder and admin.
    people: tuple[tuple[str, str, Role], ...]


ORGANIZATIONS = (
    DemoOrganization(
        key="northwind",
        api_token="rls_demo_northwind_holdings_0001",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Northwind Holdings",
            "kind": "client",
            "legal_name": "Northwind Holdings SA",
            "legal_form": "SA",
            "share_capital": "4500000",
            "country": "FR",
            "vat_number": "FR40303265045",
            "registration_number": "303265045",
            "address_line1": "12 rue de la Chaussée d'Antin",
            "postal_code": "75009",
            "city": "Paris",
            "default_currency": "EUR",
        },
        people=(
            ("admin@northwind.example", "Claire Martin", Role.ADMIN),
            ("procurement@northwind.example", "Paul Girard", Role.PROCUREMENT),
            ("finance@northwind.example", "Sophie Lefèvre", Role.FINANCE),
            ("viewer@northwind.example", "Marc Dubois", Role.VIEWER),
        ),
    ),
    DemoOrganization(
        key="atlas",
        api_token="rls_demo_atlas_back_office_0002",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Atlas Back Office",
            "kind": "vendor",
            "legal_name": "Atlas Back Office Lda",
            "legal_form": "Sociedade por quotas (Lda)",
            "share_capital": "250000",
            "country": "PT",
            "vat_number": "PT501964843",
            "registration_number": "501964843",
            "address_line1": "Avenida da Liberdade 110",
            "postal_code": "1269-046",
            "city": "Lisboa",
            "default_currency": "EUR",
        },
        people=(
            ("admin@atlas.example", "Inês Carvalho", Role.ADMIN),
            ("delivery@atlas.example", "Tiago Ferreira", Role.DELIVERY),
        ),
    ),
    DemoOrganization(
        key="meridian",
        api_token="rls_demo_meridian_services_0003",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Meridian Business Services",
            "kind": "vendor",
            "legal_name": "Meridian Business Services Pvt Ltd",
            "country": "IN",
            "vat_number": None,
            "registration_number": "U74999PN2011PTC139871",
            "address_line1": "Tower B, EON IT Park, Kharadi",
            "postal_code": "411014",
            "city": "Pune",
            "default_currency": "EUR",
        },
        people=(
            ("admin@meridian.example", "Priya Raman", Role.ADMIN),
            ("delivery@meridian.example", "Arjun Mehta", Role.DELIVERY),
        ),
    ),
    DemoOrganization(
        key="northwind-shared",
        api_token="rls_demo_northwind_shared_0004",  # noqa: S106 - demo token, in the README
        fields={
            "name": "Northwind Shared Services Kraków",
            "kind": "vendor",
            "legal_name": "Northwind Shared Services sp. z o.o.",
            "legal_form": "sp. z o.o.",
            "share_capital": "50000",
            "country": "PL",
            "vat_number": "PL6762468791",
            "registration_number": "0000612345",
            "address_line1": "ul. Kapelanka 42",
            "postal_code": "30-347",
            "city": "Kraków",
            "default_currency": "EUR",
        },
        # The parent's administrator also runs its captive centre: one account, two organizations.
        people=(("admin@northwind.example", "Claire Martin", Role.ADMIN),),
    ),
)

#: The columns of each row of Northwind's register below.
FUNCTION_COLUMNS = (
    "catalogue_key",
    "name",
    "ftes",
    "annual_cost_per_fte",
    "annual_overheads",
    "annual_facilities",
    "annual_technology",
    "annual_management",
    "monthly_volume",
    "volume_unit",
)

#: Northwind's register: department → (manager e-mail, functions). Yearly amounts in euros.
NORTHWIND_REGISTER = {
    "Finance": ("finance@northwind.example", (
        ("accounts_payable", "Accounts payable", 14, 52000, 84000, 63000, 48000, 110000,
         12000, "supplier invoices"),
        ("accounts_receivable", "Accounts receivable", 6, 50000, 36000, 27000, 21000, 55000,
         4500, "customer invoices"),
        ("general_ledger", "General ledger", 5, 61000, 30000, 22500, 26000, 60000,
         9000, "journal entries"),
        ("document_processing", "Document processing", 3, 41000, 18000, 13500, 30000, 20000,
         9000, "documents"),
    )),
    "People": ("admin@northwind.example", (
        ("payroll", "Payroll", 5, 54000, 30000, 22500, 36000, 58000, 2600, "payslips"),
        ("hr_administration", "HR administration", 4, 47000, 24000, 18000, 12000, 40000,
         2600, "employee records"),
    )),
    "IT": ("admin@northwind.example", (
        ("it_service_desk", "IT service desk", 11, 49000, 66000, 49500, 95000, 90000,
         3800, "tickets"),
    )),
}  # fmt: skip


def _user(email: str, full_name: str) -> User:
    existing = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    if existing is not None:
        return existing
    user = User(email=email, full_name=full_name, password_hash=hash_password(DEMO_PASSWORD))
    db.session.add(user)
    db.session.flush()
    return user


def find_demo_organization(demo: DemoOrganization) -> Organization | None:
    """The demo organization already loaded: its name, with its founder as a member."""
    statement = (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .join(User, User.id == Membership.user_id)
        .where(Organization.name == demo.fields["name"], User.email == demo.people[0][0])
        .order_by(Organization.id)
    )
    return db.session.scalars(across_tenants(statement)).first()


def create_demo_organization(demo: DemoOrganization) -> Organization:
    """Create a demo organization with its people and API token, unless it exists."""
    existing = find_demo_organization(demo)
    if existing is not None:
        return existing
    founder_email, founder_name, _role = demo.people[0]
    founder = _user(founder_email, founder_name)
    organization = create_organization(founder, demo.fields)
    # Printed on invoices; not asked at sign-up, so set here as an admin would in settings.
    organization.legal_form = demo.fields.get("legal_form")
    capital = demo.fields.get("share_capital")
    organization.share_capital = Decimal(capital) if capital else None
    with organization_context(organization.id):
        for email, full_name, role in demo.people[1:]:
            person = _user(email, full_name)
            membership = Membership(user_id=person.id, role=role)
            db.session.add(membership)
            audit.record(
                "membership.created",
                membership,
                actor=founder,
                after={"user": email, "role": role},
                summary=email,
            )
            person.last_organization_id = person.last_organization_id or organization.id
        token = ApiToken(
            name="Development token",
            prefix=demo.api_token[:12],
            token_hash=token_hash(demo.api_token),
            role=Role.ADMIN,
            created_by_id=founder.id,
        )
        db.session.add(token)
        audit.record(
            "api_token.created", token, actor=founder, after={"name": token.name, "role": "admin"}
        )
        db.session.flush()
    founder.last_organization_id = founder.last_organization_id or organization.id
    return organization


def _northwind_register(organization: Organization) -> None:
    with organization_context(organization.id):
        for department_name, (manager_email, functions) in NORTHWIND_REGISTER.items():
            manager = db.session.scalars(select(User).where(User.email == manager_email)).one()
            admin = db.session.scalars(
                select(User).where(User.email == "admin@northwind.example")
            ).one()
            department = create_department(
                admin, {"name": department_name, "manager_id": manager.id}
            )
            for row in functions:
                values = dict(zip(FUNCTION_COLUMNS, row, strict=True))
                for column in FUNCTION_COLUMNS[2:8]:
                    values[column] = Decimal(values[column])
                create_function(
                    manager, {**values, "department_id": department.id, "currency": "EUR"}
                )


def package_demos(packages: Iterable[str] | None = None) -> list[ModuleType]:
    """The ``demo`` modules of the blueprint packages (or of ``packages`` only), in order."""
    from portal import BLUEPRINT_PACKAGES

    wanted = set(packages) if packages is not None else None
    names = [
        f"{package}.demo" for package in BLUEPRINT_PACKAGES if wanted is None or package in wanted
    ]
    return [import_module(name) for name in names if find_spec(name) is not None]


def load_demo(packages: Iterable[str] | None = None) -> bool:
    """Create the demo records unless they exist; True when something was created.

    ``packages`` limits the story to those packages' demos (each builds on the
    ones before it): a package's tests need not print a year of invoices.
    """
    created = False
    first_email = ORGANIZATIONS[0].people[0][0]
    if db.session.scalars(select(User.id).where(User.email == first_email)).first() is None:
        organizations = {demo.key: create_demo_organization(demo) for demo in ORGANIZATIONS}
        _northwind_register(organizations["northwind"])
        created = True
    organizations = {demo.key: find_demo_organization(demo) for demo in ORGANIZATIONS}
    for module in package_demos(packages):
        created = module.load_demo(organizations) or created
    db.session.flush()
    return created


def describe_logins() -> str:
    """The demo logins and API tokens, as ``make run`` prints them."""
    lines = ["", "Relais demo — every account's password is: " + DEMO_PASSWORD, ""]
    extra = [demo for module in package_demos() for demo in getattr(module, "ORGANIZATIONS", ())]
    for demo in (*ORGANIZATIONS, *extra):
        lines.append(f"  {demo.fields['name']} ({demo.fields['kind']})")
        for email, _name, role in demo.people:
            lines.append(f"    {role.value:<12} {email}")
        lines.append(f"    API token    {demo.api_token}")
    address = current_app.config["BASE_URL"]
    lines += ["", f"  Open {address} and log in with one of them.", ""]
    return "\n".join(lines)
