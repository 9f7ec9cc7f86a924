DEBUG = False
ALLOWED_HOSTS = ['localhost']
