"""Welfare check-ins and support for staff (Appendix A, s2, s8)."""
