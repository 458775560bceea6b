from portal.organizations import bp


@bp.post("/organizations/switch")
def switch():
    return ""


@bp.get("/organizations/choose")
def choose():
    return ""


@bp.get("/organizations/new")
def new():
    return ""


@bp.get("/members")
def members():
    return ""


@bp.get("/api-tokens")
def api_tokens():
    return ""
