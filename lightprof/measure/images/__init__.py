"""Container images: `docker save` archives and OCI layouts, their layers and dive's waste figures."""
