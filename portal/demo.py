def load_demo() -> bool:
    return False


def describe_logins() -> str:
    return ""
