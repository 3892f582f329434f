"""The app's middle floor: caching, session keys, the map embed (the only code besides app.py
and app_pages/ that imports streamlit)."""
