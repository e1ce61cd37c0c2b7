"""Streamlit front end. It talks to the API over HTTP only (``ui.api_client``)."""
