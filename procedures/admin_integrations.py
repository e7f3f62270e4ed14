"""The admin's pages for API keys and call reasons (document controllers)."""
