from portal.audit_log import bp


@bp.get("/")
def index():
    return ""
