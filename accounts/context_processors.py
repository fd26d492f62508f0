def membership(request):
    """The membership the user works in (see ActiveMembershipMiddleware), for the layout."""
    membership = getattr(request, "membership", None)
    # SimpleLazyObject wrapping None is truthy-unsafe in templates; unwrap it here.
    return {"membership": membership if membership else None}
