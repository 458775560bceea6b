from portal.functions import bp


@bp.get("/")
def index():
    return ""
