def get_user(uid):
    return {'id': uid}
