"""The tour optimizer: pure (standard library, numpy, ortools, holidays); JSON in, JSON out."""
from .bound import Bound, upper_bound
from .check import Violation, check
from .errors import InstanceError
from .instance import Instance, Request, Rules, Team, Window
from .plan import UNSERVED_REASONS, Plan, PlanError
from .solve import solve
from .travel import RoadMatrix, travel_matrix

__all__ = ["Bound", "Instance", "InstanceError", "Plan", "PlanError", "Request", "RoadMatrix", "Rules", "Team",
           "UNSERVED_REASONS", "Violation", "Window", "check", "solve", "travel_matrix", "upper_bound"]
