from django.db import migrations

from cmer.audit import triggers


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(triggers.install_v1, triggers.uninstall_v1)]
