"""Lending team: credit risk models (application default, delinquency, LGD, prepayment, collections)."""
