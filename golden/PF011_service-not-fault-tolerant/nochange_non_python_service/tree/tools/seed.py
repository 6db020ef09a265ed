import psycopg

conn = psycopg.connect("postgresql://postgres@postgres:5432/app")
