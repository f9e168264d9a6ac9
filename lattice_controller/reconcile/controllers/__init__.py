"""The reconcilers: cache snapshot → pure build → observe → pure diff → apply → status.

Each takes only a key and returns an Outcome; none touches a workqueue.
"""
