from pathscore.crm.models.contracts import ContractMilestone, ContractTerm
from pathscore.crm.models.customers import Contact, Customer
from pathscore.crm.models.documents import Document, DocumentVersion
from pathscore.crm.models.followups import CustomerNeed, FollowUp
from pathscore.crm.models.projects import Project, ProjectHandover

__all__ = [
    "Contact",
    "ContractMilestone",
    "ContractTerm",
    "Customer",
    "CustomerNeed",
    "Document",
    "DocumentVersion",
    "FollowUp",
    "Project",
    "ProjectHandover",
]
