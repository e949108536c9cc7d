"""The Node.js runtime client and its preload: JavaScript files, shipped as package data."""
