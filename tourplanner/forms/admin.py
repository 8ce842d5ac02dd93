"""The coordinators' upload of a requests CSV."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class RequestsImportForm(FlaskForm):
    """Upload of a requests CSV (formats.md section 1)."""

    file = FileField("Requests CSV", validators=[FileRequired("Choose a CSV file to import.")])
