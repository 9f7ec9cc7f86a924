def can_admin(user):
    return user.is_admin
