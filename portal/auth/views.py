from portal.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return "login"


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    return "signup"


@bp.post("/logout")
def logout():
    return "logout"


@bp.get("/account")
def account():
    return "account"
