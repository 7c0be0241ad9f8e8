"""Training behind one interface: xgboost and torch, packaged as MLflow pyfunc models."""
