from portal.notifications import bp


@bp.get("/")
def index():
    return ""
