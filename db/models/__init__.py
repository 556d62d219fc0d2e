"""All tables. Importing this package registers every model on `Base.metadata`."""

from db.models.audit import *  # noqa: F403
from db.models.auth import *  # noqa: F403
from db.models.charging_points import *  # noqa: F403
from db.models.documents import *  # noqa: F403
from db.models.ledger import *  # noqa: F403
from db.models.mail import *  # noqa: F403
from db.models.ocpp import *  # noqa: F403
from db.models.payments import *  # noqa: F403
from db.models.platform import *  # noqa: F403
from db.models.sessions import *  # noqa: F403
from db.models.tree import *  # noqa: F403
