"""Certifications a vendor can show in the directory, and filter on."""

from __future__ import annotations

CERTIFICATIONS: dict[str, str] = {
    "iso_27001": "ISO/IEC 27001",
    "iso_9001": "ISO 9001",
    "iso_22301": "ISO 22301",
    "iso_27701": "ISO/IEC 27701",
    "soc_1": "SOC 1 (ISAE 3402)",
    "soc_2": "SOC 2",
    "pci_dss": "PCI DSS",
    "hds": "HDS",
    "cyber_essentials": "Cyber Essentials",
}


def certification_name(key: str) -> str:
    return CERTIFICATIONS.get(key, key)


def certification_choices() -> list[tuple[str, str]]:
    return list(CERTIFICATIONS.items())
